auth ClueCon

event plain ALL

api callcenter_config queue load 5a1e0c1d-0b5e-4c55-9a41-000000000006

api callcenter_config queue load 5a1e0c1d-0b5e-4c55-9a41-000000000006

api callcenter_config queue list

