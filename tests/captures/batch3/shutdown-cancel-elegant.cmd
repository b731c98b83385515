auth ClueCon

event plain ALL

api fsctl shutdown_check

bgapi originate {originate_timeout=20,ignore_early_media=true,autocall_campaign=caps3-campaign,autocall_lead=caps3-lead-4ef6f6b0,autocall_call=caps3-call-4ef6f6b0,autocall_file=silence_stream://20000,autocall_avmd=false}[origination_uuid=4ef6f6b0-5f2e-4122-9da5-9501acb586e8,origination_caller_id_number=0900000000]sofia/gateway/autocall-viettel/0979000001 autocall XML autocall
Job-UUID: f6dc3a9f-1305-4cd2-b806-a41f1187f963

bgapi fsctl shutdown elegant
Job-UUID: 6185e34e-1bb9-4da5-ba1b-90de4cbd5e2c

api fsctl shutdown_check

bgapi originate {originate_timeout=20,ignore_early_media=true,autocall_campaign=caps3-campaign,autocall_lead=caps3-lead-21f6e494,autocall_call=caps3-call-21f6e494,autocall_file=silence_stream://20000,autocall_avmd=false}[origination_uuid=21f6e494-0ba1-4d27-a062-80c6ab616329,origination_caller_id_number=0900000000]sofia/gateway/autocall-viettel/0979000002 autocall XML autocall
Job-UUID: 0e56ae94-3220-47da-8e4f-40a42975679d

api fsctl shutdown cancel

api fsctl shutdown_check

bgapi originate {originate_timeout=20,ignore_early_media=true,autocall_campaign=caps3-campaign,autocall_lead=caps3-lead-7282548f,autocall_call=caps3-call-7282548f,autocall_file=silence_stream://20000,autocall_avmd=false}[origination_uuid=7282548f-1c0f-4e36-aaaf-407be6d42083,origination_caller_id_number=0900000000]sofia/gateway/autocall-viettel/0979000003 autocall XML autocall
Job-UUID: b72c2606-40a8-4b60-8705-dd10cbcd7d9a

api show calls count

api fsctl shutdown_check

api show calls count

api status

