auth ClueCon

event plain ALL

bgapi originate {originate_timeout=20,ignore_early_media=true,autocall_campaign=caps5-campaign,autocall_lead=caps5-lead-02be9741,autocall_call=caps5-call-02be9741,autocall_queue=no-such-queue,autocall_abandon_file=/tmp/autocall-realfs-xro74whf/abandon.wav,autocall_avmd=false}[origination_uuid=02be9741-9288-4157-b511-37271152a39e,origination_caller_id_number=0900000000]sofia/gateway/autocall-viettel/0979000007 autodialer XML autodialer
Job-UUID: dd874492-bc83-4ae2-8161-00ab0a87d5c0

