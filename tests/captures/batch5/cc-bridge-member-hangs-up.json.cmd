auth ClueCon

event json ALL

api callcenter_config agent set status 1001@autocall 'Available'

api callcenter_config agent set state 1001@autocall Waiting

api callcenter_config agent set ready_time 1001@autocall 0

api callcenter_config agent set status 1002@autocall 'On Break'

api callcenter_config agent set state 1002@autocall Waiting

api callcenter_config agent set ready_time 1002@autocall 0

api callcenter_config agent set status 1003@autocall 'Logged Out'

bgapi originate {originate_timeout=20,ignore_early_media=true,autocall_campaign=caps5-campaign,autocall_lead=caps5-lead-d63266f0,autocall_call=caps5-call-d63266f0,autocall_queue=5a1e0c1d-0b5e-4c55-9a41-000000000005,autocall_abandon_file=/tmp/autocall-realfs-xro74whf/abandon.wav,autocall_avmd=false}[origination_uuid=d63266f0-7668-4009-86be-99a2ed47f781,origination_caller_id_number=0900000000]sofia/gateway/autocall-viettel/0979000009 autodialer XML autodialer
Job-UUID: 2e28fc07-0185-4d79-8d77-0ec53c0dd712

api uuid_kill c2b58c0b-589e-4c36-aa49-494056472cf0

