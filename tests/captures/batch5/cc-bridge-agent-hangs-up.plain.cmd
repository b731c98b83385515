auth ClueCon

event plain ALL

api callcenter_config agent set status 1001@autocall 'Available'

api callcenter_config agent set state 1001@autocall Waiting

api callcenter_config agent set ready_time 1001@autocall 0

api callcenter_config agent set status 1002@autocall 'On Break'

api callcenter_config agent set state 1002@autocall Waiting

api callcenter_config agent set ready_time 1002@autocall 0

api callcenter_config agent set status 1003@autocall 'Logged Out'

bgapi originate {originate_timeout=20,ignore_early_media=true,autocall_campaign=caps5-campaign,autocall_lead=caps5-lead-0aebb4a4,autocall_call=caps5-call-0aebb4a4,autocall_queue=5a1e0c1d-0b5e-4c55-9a41-000000000005,autocall_abandon_file=/tmp/autocall-realfs-xro74whf/abandon.wav}[origination_uuid=0aebb4a4-164d-477f-ad1e-264d8bcadde4,origination_caller_id_number=0900000000]sofia/gateway/autocall-viettel/0979000001 autodialer XML autodialer
Job-UUID: f566154e-4422-476b-b775-191a7e416751

api callcenter_config agent list 1001@autocall

