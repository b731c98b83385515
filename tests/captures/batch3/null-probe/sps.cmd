auth ClueCon

event json ALL

api fsctl sps 5

bgapi originate {origination_uuid=46a96656-c668-4f66-92d6-70932d7afc25,autocall_cdr_probe=true}null/autocall-cdr-probe &hangup()
Job-UUID: 4fff5c41-3bd4-48b1-a8b4-b8a58b320acb

bgapi originate {origination_uuid=8169e2cd-e78f-43ce-adde-00dbf907fc50,autocall_cdr_probe=true}null/autocall-cdr-probe &hangup()
Job-UUID: 7b4698f0-7da2-490f-b78b-99a393d4bfb1

bgapi originate {origination_uuid=8fdd8906-44f8-4891-9ba1-3587a32ba66e,autocall_cdr_probe=true}null/autocall-cdr-probe &hangup()
Job-UUID: 9b8631c4-d484-4007-af61-dbe70d7a097a

bgapi originate {origination_uuid=cb63c49f-b28e-491e-a8bd-1b401ff22336,autocall_cdr_probe=true}null/autocall-cdr-probe &hangup()
Job-UUID: 5c6e3d70-f5fc-419b-a14d-31467151412f

bgapi originate {origination_uuid=e341d265-f5f7-4a56-807d-3602bca89679,autocall_cdr_probe=true}null/autocall-cdr-probe &hangup()
Job-UUID: bea4334e-e382-43ab-b64f-579439f12829

bgapi originate {origination_uuid=cee8d35f-d7bd-42bb-ab38-5c6f8280a1e1,autocall_cdr_probe=true}null/autocall-cdr-probe &hangup()
Job-UUID: e2a212c2-4cc7-4b84-9d45-8fe878c8be7c

api fsctl sps 60

api status

