auth ClueCon

event plain ALL

api fsctl shutdown_check

bgapi originate {originate_timeout=20,ignore_early_media=true,autocall_campaign=caps3-campaign,autocall_lead=caps3-lead-10222d44,autocall_call=caps3-call-10222d44,autocall_file=silence_stream://20000,autocall_avmd=false}[origination_uuid=10222d44-04f8-41a4-b7c3-2cff112f05e9,origination_caller_id_number=0900000000]sofia/gateway/autocall-viettel/0979000001 autocall XML autocall
Job-UUID: 32e886fb-a72b-4fb5-91b2-07ace895a5bf

bgapi fsctl shutdown asap
Job-UUID: a881a1e5-5790-4297-8fd7-df3e3a761fc9

api fsctl shutdown_check

bgapi originate {originate_timeout=20,ignore_early_media=true,autocall_campaign=caps3-campaign,autocall_lead=caps3-lead-3b514056,autocall_call=caps3-call-3b514056,autocall_file=silence_stream://20000,autocall_avmd=false}[origination_uuid=3b514056-4df2-4c74-b87d-080e8c3d6eb3,origination_caller_id_number=0900000000]sofia/gateway/autocall-viettel/0979000002 autocall XML autocall
Job-UUID: 5b9a35bf-ab5d-4936-9129-35d654011f1a

api fsctl shutdown cancel

api fsctl shutdown_check

bgapi originate {originate_timeout=20,ignore_early_media=true,autocall_campaign=caps3-campaign,autocall_lead=caps3-lead-ef0265c4,autocall_call=caps3-call-ef0265c4,autocall_file=silence_stream://20000,autocall_avmd=false}[origination_uuid=ef0265c4-a930-4071-abc3-ed14aa2c7bd9,origination_caller_id_number=0900000000]sofia/gateway/autocall-viettel/0979000003 autocall XML autocall
Job-UUID: 00670fc6-edf3-4f25-a0ab-65372e9e9b10

api show calls count

api fsctl shutdown_check

api show calls count

api status

