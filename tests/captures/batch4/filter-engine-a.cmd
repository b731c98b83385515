auth ClueCon

filter Event-Name HEARTBEAT

filter Event-Name SHUTDOWN

filter Event-Name SHUTDOWN_REQUESTED

filter variable_autocall_engine caps4a

filter Job-Command-Arg /autocall_engine=caps4a[,}]/

event json CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB HEARTBEAT DTMF SHUTDOWN SHUTDOWN_REQUESTED CUSTOM avmd::beep

bgapi originate {originate_timeout=20,ignore_early_media=true,autocall_campaign=caps4a-campaign,autocall_lead=caps4a-lead-cf529617,autocall_call=caps4a-call-cf529617,autocall_file=silence_stream://2000,autocall_avmd=false,autocall_engine=caps4a}[origination_uuid=cf529617-c196-42a7-a084-da3007cf51ed,origination_caller_id_number=0900000000]sofia/gateway/autocall-viettel/0980000001 autocall XML autocall
Job-UUID: e9f16332-3308-42e3-9d49-d2c79e70f05d

bgapi originate {originate_timeout=20,ignore_early_media=true,autocall_campaign=caps4a-campaign,autocall_lead=caps4a-lead-ea44feed,autocall_call=caps4a-call-ea44feed,autocall_file=silence_stream://3000,autocall_avmd=false,autocall_engine=caps4a}[origination_uuid=ea44feed-832e-4e10-9ed2-c4b0206127ab,origination_caller_id_number=0900000000]sofia/gateway/autocall-viettel/0981000001 autocall XML autocall
Job-UUID: 9b5a9f58-c917-4a0f-96e4-5e1f8cf506cd

bgapi status
Job-UUID: c1383ad3-9dc4-4453-b7e4-0ca3f6a56b32

api uuid_recv_dtmf cf529617-c196-42a7-a084-da3007cf51ed 5

