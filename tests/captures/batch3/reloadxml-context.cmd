auth ClueCon

event plain ALL

api xml_locate dialplan context name autocall

api reloadxml

api xml_locate dialplan context name autocall

bgapi originate {originate_timeout=10,ignore_early_media=true,autocall_campaign=caps3-campaign,autocall_lead=caps3-lead-2dac3b42,autocall_call=caps3-call-2dac3b42,autocall_file=silence_stream://1000,autocall_avmd=false}[origination_uuid=2dac3b42-3a7c-4c83-90a6-6a313d1e8ead,origination_caller_id_number=0900000000]sofia/gateway/autocall-viettel/0980000001 autocall XML autocall
Job-UUID: d31e5a98-fbe8-4919-a3e1-c85569321f89

