auth ClueCon

event plain ALL

api callcenter_config agent set contact 1002@autocall user/1002

api callcenter_config agent set status 1001@autocall 'On Break'

api callcenter_config agent set state 1001@autocall Waiting

api callcenter_config agent set ready_time 1001@autocall 0

api callcenter_config agent set status 1002@autocall 'Available'

api callcenter_config agent set state 1002@autocall Waiting

api callcenter_config agent set ready_time 1002@autocall 0

api callcenter_config agent set status 1003@autocall 'Logged Out'

bgapi originate {originate_timeout=20,ignore_early_media=true,autocall_campaign=caps5-campaign,autocall_lead=caps5-lead-6883fb18,autocall_call=caps5-call-6883fb18,autocall_queue=5a1e0c1d-0b5e-4c55-9a41-000000000005,autocall_abandon_file=/tmp/autocall-realfs-xro74whf/abandon.wav,autocall_avmd=false}[origination_uuid=6883fb18-b3c3-4c28-869f-e80e70b428dc,origination_caller_id_number=0900000000]sofia/gateway/autocall-viettel/0979000015 autodialer XML autodialer
Job-UUID: 01ff8969-2d84-4b40-9ec9-1ba33d2c6669

api callcenter_config agent set contact 1002@autocall [leg_timeout=3]user/1002

