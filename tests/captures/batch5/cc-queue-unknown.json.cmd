auth ClueCon

event json ALL

bgapi originate {originate_timeout=20,ignore_early_media=true,autocall_campaign=caps5-campaign,autocall_lead=caps5-lead-aff8bc22,autocall_call=caps5-call-aff8bc22,autocall_queue=no-such-queue,autocall_abandon_file=/tmp/autocall-realfs-xro74whf/abandon.wav,autocall_avmd=false}[origination_uuid=aff8bc22-a733-4772-9de8-d195ba0c83c3,origination_caller_id_number=0900000000]sofia/gateway/autocall-viettel/0979000014 autodialer XML autodialer
Job-UUID: fdf4c98a-f18e-42ba-ae83-b3f1d170db06

