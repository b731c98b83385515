auth ClueCon

event plain ALL

api callcenter_config agent set status 1001@autocall 'On Break'

api callcenter_config agent set state 1001@autocall Waiting

api callcenter_config agent set ready_time 1001@autocall 0

api callcenter_config agent set status 1002@autocall 'On Break'

api callcenter_config agent set state 1002@autocall Waiting

api callcenter_config agent set ready_time 1002@autocall 0

api callcenter_config agent set status 1003@autocall 'Logged Out'

bgapi originate {originate_timeout=20,ignore_early_media=true,autocall_campaign=caps5-campaign,autocall_lead=caps5-lead-a3168183,autocall_call=caps5-call-a3168183,autocall_queue=5a1e0c1d-0b5e-4c55-9a41-000000000005,autocall_abandon_file=/tmp/autocall-realfs-xro74whf/abandon.wav}[origination_uuid=a3168183-f4a4-45ba-b4c3-e6b3a861e9fc,origination_caller_id_number=0900000000]sofia/gateway/autocall-viettel/0979000005 autodialer XML autodialer
Job-UUID: 98e12be3-1089-4d91-be02-4f6a428ca073

