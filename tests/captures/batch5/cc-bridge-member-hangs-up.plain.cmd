auth ClueCon

event plain ALL

api callcenter_config agent set status 1001@autocall 'Available'

api callcenter_config agent set state 1001@autocall Waiting

api callcenter_config agent set ready_time 1001@autocall 0

api callcenter_config agent set status 1002@autocall 'On Break'

api callcenter_config agent set state 1002@autocall Waiting

api callcenter_config agent set ready_time 1002@autocall 0

api callcenter_config agent set status 1003@autocall 'Logged Out'

bgapi originate {originate_timeout=20,ignore_early_media=true,autocall_campaign=caps5-campaign,autocall_lead=caps5-lead-c47e63b0,autocall_call=caps5-call-c47e63b0,autocall_queue=5a1e0c1d-0b5e-4c55-9a41-000000000005,autocall_abandon_file=/tmp/autocall-realfs-xro74whf/abandon.wav,autocall_avmd=false}[origination_uuid=c47e63b0-614d-4d0a-b195-366911ebc3e5,origination_caller_id_number=0900000000]sofia/gateway/autocall-viettel/0979000002 autodialer XML autodialer
Job-UUID: 322d03f7-4f0a-4f4d-86de-5b78944aad7d

api uuid_kill 4c299720-2984-4bbe-aaef-895e41f245de

