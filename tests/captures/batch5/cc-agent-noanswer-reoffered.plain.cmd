auth ClueCon

event plain ALL

api callcenter_config agent set status 1001@autocall 'Available'

api callcenter_config agent set state 1001@autocall Waiting

api callcenter_config agent set ready_time 1001@autocall 0

api callcenter_config agent set status 1002@autocall 'Available'

api callcenter_config agent set state 1002@autocall Waiting

api callcenter_config agent set ready_time 1002@autocall 0

api callcenter_config agent set status 1003@autocall 'Logged Out'

api callcenter_config agent list 1002@autocall

bgapi originate {originate_timeout=20,ignore_early_media=true,autocall_campaign=caps5-campaign,autocall_lead=caps5-lead-b2eff7ad,autocall_call=caps5-call-b2eff7ad,autocall_queue=5a1e0c1d-0b5e-4c55-9a41-000000000005,autocall_abandon_file=/tmp/autocall-realfs-jhfalvja/abandon.wav,autocall_avmd=false}[origination_uuid=b2eff7ad-16db-42ef-916f-0d33d930e4a7,origination_caller_id_number=0900000000]sofia/gateway/autocall-viettel/0979000001 autodialer XML autodialer
Job-UUID: 24e54e70-6787-4d60-901e-72f2ccd12306

