auth ClueCon

event plain ALL

api callcenter_config agent add 1001@autocall-test callback

api callcenter_config agent set contact 1001@autocall-test [leg_timeout=30]user/1001

api callcenter_config agent set max_no_answer 1001@autocall-test 0

api callcenter_config agent set wrap_up_time 1001@autocall-test 0

api callcenter_config agent set status 1001@autocall-test Available

api callcenter_config queue load autocall-agent-test-1001

api callcenter_config tier add autocall-agent-test-1001 1001@autocall-test 1 1

bgapi originate {originate_timeout=30,ignore_early_media=true,autocall_campaign=caps6-campaign,autocall_lead=caps6-lead,autocall_call=fa343c86-bb5d-4dfe-a097-fc6b7088d51a,autocall_file=tone_stream://%(500,0,480),autocall_engine=caps6engine,autocall_avmd=false,autocall_queue=autocall-agent-test-1001,autocall_abandon_file=tone_stream://%(500,0,480)}[origination_uuid=fa343c86-bb5d-4dfe-a097-fc6b7088d51a,origination_caller_id_number=02812345678]loopback/9196/default autodialer XML autodialer
Job-UUID: 069adf3c-2605-4d3d-bc44-185ffc10ff6b

api callcenter_config agent del 1001@autocall-test

api callcenter_config queue unload autocall-agent-test-1001

