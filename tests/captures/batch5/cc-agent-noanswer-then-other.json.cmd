auth ClueCon

event json ALL

api callcenter_config agent set status 1001@autocall 'Available'

api callcenter_config agent set state 1001@autocall Waiting

api callcenter_config agent set ready_time 1001@autocall 0

api callcenter_config agent set status 1002@autocall 'Available'

api callcenter_config agent set state 1002@autocall Waiting

api callcenter_config agent set ready_time 1002@autocall 0

api callcenter_config agent set status 1003@autocall 'Logged Out'

api callcenter_config agent set max_no_answer 1002@autocall 1

bgapi originate {originate_timeout=20,ignore_early_media=true,autocall_campaign=caps5-campaign,autocall_lead=caps5-lead-51241d6c,autocall_call=caps5-call-51241d6c,autocall_queue=5a1e0c1d-0b5e-4c55-9a41-000000000005,autocall_abandon_file=/tmp/autocall-realfs-xro74whf/abandon.wav,autocall_avmd=false}[origination_uuid=51241d6c-3add-4c25-8b42-eb4bb5f61ca3,origination_caller_id_number=0900000000]sofia/gateway/autocall-viettel/0979000010 autodialer XML autodialer
Job-UUID: 37a814ac-d262-4711-9197-786423226a4b

api callcenter_config agent list 1002@autocall

api callcenter_config agent set max_no_answer 1002@autocall 0

