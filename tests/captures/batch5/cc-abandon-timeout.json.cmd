auth ClueCon

event json ALL

api callcenter_config agent set status 1001@autocall 'On Break'

api callcenter_config agent set state 1001@autocall Waiting

api callcenter_config agent set ready_time 1001@autocall 0

api callcenter_config agent set status 1002@autocall 'On Break'

api callcenter_config agent set state 1002@autocall Waiting

api callcenter_config agent set ready_time 1002@autocall 0

api callcenter_config agent set status 1003@autocall 'Logged Out'

bgapi originate {originate_timeout=20,ignore_early_media=true,autocall_campaign=caps5-campaign,autocall_lead=caps5-lead-c81fce5b,autocall_call=caps5-call-c81fce5b,autocall_queue=5a1e0c1d-0b5e-4c55-9a41-000000000005,autocall_abandon_file=/tmp/autocall-realfs-xro74whf/abandon.wav}[origination_uuid=c81fce5b-bc88-4c29-89b7-03c96da2cf29,origination_caller_id_number=0900000000]sofia/gateway/autocall-viettel/0979000012 autodialer XML autodialer
Job-UUID: 0a6ca48d-7767-4e22-8d6e-9f30ee1857fe

