auth ClueCon

event plain ALL

api callcenter_config queue load 5a1e0c1d-0b5e-4c55-9a41-000000000005

api callcenter_config agent add 1002@autocall callback

api callcenter_config agent set contact 1002@autocall [leg_timeout=3]user/1002

api callcenter_config tier add 5a1e0c1d-0b5e-4c55-9a41-000000000005 1002@autocall 1 1

api callcenter_config agent add 1001@autocall callback

api callcenter_config agent set contact 1001@autocall user/1001

api callcenter_config tier add 5a1e0c1d-0b5e-4c55-9a41-000000000005 1001@autocall 1 2

api callcenter_config agent add 1003@autocall callback

api callcenter_config agent set contact 1003@autocall user/1003

api callcenter_config tier add 5a1e0c1d-0b5e-4c55-9a41-000000000005 1003@autocall 1 3

api callcenter_config queue list agents 5a1e0c1d-0b5e-4c55-9a41-000000000005

api callcenter_config queue list tiers 5a1e0c1d-0b5e-4c55-9a41-000000000005

api sofia status profile internal reg

api show registrations

