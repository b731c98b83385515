auth ClueCon

event plain ALL

api callcenter_config

api callcenter_config foo

api callcenter_config foo bar

api callcenter_config queue list

api callcenter_config queue load 5a1e0c1d-0b5e-4c55-9a41-000000000005

api callcenter_config queue load 5a1e0c1d-0b5e-4c55-9a41-000000000005

api callcenter_config queue load no-such-queue

api callcenter_config queue list

api callcenter_config agent add 1001@autocall callback

api callcenter_config agent add 1001@autocall callback

api callcenter_config agent add bad-type@autocall nosuchtype

api callcenter_config agent set contact 1001@autocall user/1001

api callcenter_config agent set status 1001@autocall Available

api callcenter_config agent set status 1001@autocall 'On Break'

api callcenter_config agent set status 1001@autocall Bogus

api callcenter_config agent set state 1001@autocall Waiting

api callcenter_config agent set state 1001@autocall Bogus

api callcenter_config agent set max_no_answer 1001@autocall 3

api callcenter_config agent set wrap_up_time 1001@autocall 2

api callcenter_config agent set reject_delay_time 1001@autocall 5

api callcenter_config agent set busy_delay_time 1001@autocall 5

api callcenter_config agent set no_answer_delay_time 1001@autocall 5

api callcenter_config agent set nosuchkey 1001@autocall 1

api callcenter_config agent set status no-such-agent@autocall Available

api callcenter_config agent set contact no-such-agent@autocall user/1999

api callcenter_config agent get status 1001@autocall

api callcenter_config agent get state 1001@autocall

api callcenter_config agent get uuid 1001@autocall

api callcenter_config agent get status no-such-agent@autocall

api callcenter_config agent list

api callcenter_config agent list 1001@autocall

api callcenter_config tier add 5a1e0c1d-0b5e-4c55-9a41-000000000005 1001@autocall 1 1

api callcenter_config tier add 5a1e0c1d-0b5e-4c55-9a41-000000000005 1001@autocall 1 1

api callcenter_config tier add 5a1e0c1d-0b5e-4c55-9a41-000000000005 no-such-agent@autocall

api callcenter_config tier add no-such-queue 1001@autocall

api callcenter_config tier set level 5a1e0c1d-0b5e-4c55-9a41-000000000005 1001@autocall 2

api callcenter_config tier set position 5a1e0c1d-0b5e-4c55-9a41-000000000005 1001@autocall 3

api callcenter_config tier list

api callcenter_config queue list agents 5a1e0c1d-0b5e-4c55-9a41-000000000005

api callcenter_config queue list tiers 5a1e0c1d-0b5e-4c55-9a41-000000000005

api callcenter_config queue list members 5a1e0c1d-0b5e-4c55-9a41-000000000005

api callcenter_config queue count

api callcenter_config queue count agents 5a1e0c1d-0b5e-4c55-9a41-000000000005

api callcenter_config queue count members 5a1e0c1d-0b5e-4c55-9a41-000000000005

api callcenter_config queue count tiers 5a1e0c1d-0b5e-4c55-9a41-000000000005

api callcenter_config queue list agents no-such-queue

api callcenter_config queue reload 5a1e0c1d-0b5e-4c55-9a41-000000000005

api callcenter_config queue load 5a1e0c1d-0b5e-4c55-9a41-000000000006

api callcenter_config queue list

api callcenter_config queue unload 5a1e0c1d-0b5e-4c55-9a41-000000000006

api callcenter_config queue unload 5a1e0c1d-0b5e-4c55-9a41-000000000006

api callcenter_config queue unload no-such-queue

api callcenter_config tier del 5a1e0c1d-0b5e-4c55-9a41-000000000005 1001@autocall

api callcenter_config tier del 5a1e0c1d-0b5e-4c55-9a41-000000000005 1001@autocall

api callcenter_config agent del 1001@autocall

api callcenter_config agent del 1001@autocall

api callcenter_config agent del no-such-agent@autocall

api callcenter_config agent list

api callcenter_config tier list

