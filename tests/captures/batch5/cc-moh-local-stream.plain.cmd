auth ClueCon

event plain ALL

bgapi originate {originate_timeout=20,ignore_early_media=true,autocall_campaign=caps5-campaign,autocall_lead=caps5-lead-b7687e46,autocall_call=caps5-call-b7687e46,autocall_queue=5a1e0c1d-0b5e-4c55-9a41-000000000007,autocall_abandon_file=/tmp/autocall-realfs-xro74whf/abandon.wav,autocall_avmd=false}[origination_uuid=b7687e46-c202-4dec-96f1-e0b23726dbf7,origination_caller_id_number=0900000000]sofia/gateway/autocall-viettel/0979000016 autodialer XML autodialer
Job-UUID: 56cde9ee-db47-4e01-8746-1bf26e350100

