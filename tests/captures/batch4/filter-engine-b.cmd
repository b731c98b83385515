auth ClueCon

filter Event-Name HEARTBEAT

filter Event-Name SHUTDOWN

filter Event-Name SHUTDOWN_REQUESTED

filter variable_autocall_engine caps4b

filter Job-Command-Arg /autocall_engine=caps4b[,}]/

event json CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB HEARTBEAT DTMF SHUTDOWN SHUTDOWN_REQUESTED CUSTOM avmd::beep

bgapi originate {originate_timeout=20,ignore_early_media=true,autocall_campaign=caps4b-campaign,autocall_lead=caps4b-lead-eeac5f0a,autocall_call=caps4b-call-eeac5f0a,autocall_file=silence_stream://2000,autocall_avmd=false,autocall_engine=caps4b}[origination_uuid=eeac5f0a-1316-49d9-aeb7-c508eca7d8b8,origination_caller_id_number=0900000000]sofia/gateway/autocall-viettel/0980000001 autocall XML autocall
Job-UUID: f7af7cbb-d2ad-4f25-98a4-6f49f52c1141

bgapi originate {originate_timeout=20,ignore_early_media=true,autocall_campaign=caps4b-campaign,autocall_lead=caps4b-lead-5490977b,autocall_call=caps4b-call-5490977b,autocall_file=silence_stream://3000,autocall_avmd=false,autocall_engine=caps4b}[origination_uuid=5490977b-acf9-4386-bf2a-ea917f7256d3,origination_caller_id_number=0900000000]sofia/gateway/autocall-viettel/0981000001 autocall XML autocall
Job-UUID: 33702b29-822b-4218-8b93-0f4ffde82717

bgapi status
Job-UUID: 1ef661c7-912f-4c0b-b3c7-e720d45a2a87

api uuid_recv_dtmf eeac5f0a-1316-49d9-aeb7-c508eca7d8b8 5

