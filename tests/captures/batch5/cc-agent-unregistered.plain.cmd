auth ClueCon

event plain ALL

api callcenter_config agent set status 1001@autocall 'On Break'

api callcenter_config agent set state 1001@autocall Waiting

api callcenter_config agent set ready_time 1001@autocall 0

api callcenter_config agent set status 1002@autocall 'On Break'

api callcenter_config agent set state 1002@autocall Waiting

api callcenter_config agent set ready_time 1002@autocall 0

api callcenter_config agent set status 1003@autocall 'Available'

api callcenter_config agent set state 1003@autocall Waiting

api callcenter_config agent set ready_time 1003@autocall 0

bgapi originate {originate_timeout=20,ignore_early_media=true,autocall_campaign=caps5-campaign,autocall_lead=caps5-lead-ea20bc3c,autocall_call=caps5-call-ea20bc3c,autocall_queue=5a1e0c1d-0b5e-4c55-9a41-000000000005,autocall_abandon_file=/tmp/autocall-realfs-xro74whf/abandon.wav,autocall_avmd=false}[origination_uuid=ea20bc3c-2f2b-428d-a949-1a881c372ab3,origination_caller_id_number=0900000000]sofia/gateway/autocall-viettel/0979000004 autodialer XML autodialer
Job-UUID: f9682f82-5bca-4d4e-9a85-1a24cb92dde4

api callcenter_config agent set status 1003@autocall 'Logged Out'

