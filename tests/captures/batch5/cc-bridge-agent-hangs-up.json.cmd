auth ClueCon

event json ALL

api callcenter_config agent set status 1001@autocall 'Available'

api callcenter_config agent set state 1001@autocall Waiting

api callcenter_config agent set ready_time 1001@autocall 0

api callcenter_config agent set status 1002@autocall 'On Break'

api callcenter_config agent set state 1002@autocall Waiting

api callcenter_config agent set ready_time 1002@autocall 0

api callcenter_config agent set status 1003@autocall 'Logged Out'

bgapi originate {originate_timeout=20,ignore_early_media=true,autocall_campaign=caps5-campaign,autocall_lead=caps5-lead-06087066,autocall_call=caps5-call-06087066,autocall_queue=5a1e0c1d-0b5e-4c55-9a41-000000000005,autocall_abandon_file=/tmp/autocall-realfs-xro74whf/abandon.wav}[origination_uuid=06087066-0453-401f-96fb-9ae63750d79f,origination_caller_id_number=0900000000]sofia/gateway/autocall-viettel/0979000008 autodialer XML autodialer
Job-UUID: 68ba4203-7390-4e93-9cd1-3617d0d64e4d

api callcenter_config agent list 1001@autocall

