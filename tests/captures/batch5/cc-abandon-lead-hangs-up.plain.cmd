auth ClueCon

event plain ALL

api callcenter_config agent set status 1001@autocall 'On Break'

api callcenter_config agent set state 1001@autocall Waiting

api callcenter_config agent set ready_time 1001@autocall 0

api callcenter_config agent set status 1002@autocall 'On Break'

api callcenter_config agent set state 1002@autocall Waiting

api callcenter_config agent set ready_time 1002@autocall 0

api callcenter_config agent set status 1003@autocall 'Logged Out'

bgapi originate {originate_timeout=20,ignore_early_media=true,autocall_campaign=caps5-campaign,autocall_lead=caps5-lead-da15703a,autocall_call=caps5-call-da15703a,autocall_queue=5a1e0c1d-0b5e-4c55-9a41-000000000005,autocall_abandon_file=/tmp/autocall-realfs-xro74whf/abandon.wav,autocall_avmd=false}[origination_uuid=da15703a-2161-4005-a4e5-9a92b7723468,origination_caller_id_number=0900000000]sofia/gateway/autocall-viettel/0980000006 autodialer XML autodialer
Job-UUID: 473104a1-f34a-4f1d-94da-2c87249ea2f0

