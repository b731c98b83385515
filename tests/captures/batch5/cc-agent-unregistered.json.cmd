auth ClueCon

event json ALL

api callcenter_config agent set status 1001@autocall 'On Break'

api callcenter_config agent set state 1001@autocall Waiting

api callcenter_config agent set ready_time 1001@autocall 0

api callcenter_config agent set status 1002@autocall 'On Break'

api callcenter_config agent set state 1002@autocall Waiting

api callcenter_config agent set ready_time 1002@autocall 0

api callcenter_config agent set status 1003@autocall 'Available'

api callcenter_config agent set state 1003@autocall Waiting

api callcenter_config agent set ready_time 1003@autocall 0

bgapi originate {originate_timeout=20,ignore_early_media=true,autocall_campaign=caps5-campaign,autocall_lead=caps5-lead-f0cf4290,autocall_call=caps5-call-f0cf4290,autocall_queue=5a1e0c1d-0b5e-4c55-9a41-000000000005,autocall_abandon_file=/tmp/autocall-realfs-xro74whf/abandon.wav,autocall_avmd=false}[origination_uuid=f0cf4290-38c9-4591-8df5-ba20c6091b91,origination_caller_id_number=0900000000]sofia/gateway/autocall-viettel/0979000011 autodialer XML autodialer
Job-UUID: 710cdd7e-b142-4db4-936b-6cbf06fbfc73

api callcenter_config agent set status 1003@autocall 'Logged Out'

