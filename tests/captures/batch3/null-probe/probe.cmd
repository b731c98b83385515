auth ClueCon

event json ALL

bgapi originate {origination_uuid=d3ed8b78-7898-45d5-828c-2fad7f65fd4b,autocall_cdr_probe=true}null/autocall-cdr-probe &hangup()
Job-UUID: 80f62031-3b35-4d89-909d-36fb948afb45

bgapi originate {origination_uuid=b5698b96-b281-483a-a045-8d6c90446c7f,autocall_cdr_probe=true}null/autocall-cdr-probe &hangup(NORMAL_CLEARING)
Job-UUID: cc109501-b69c-45ea-a736-10fffa75929d

bgapi originate {origination_uuid=c3d9dad0-cd8a-4b3a-8356-87a9b2477f6d,autocall_cdr_probe=true}null/x &sleep(0)
Job-UUID: 4ffaa938-f5e9-49f4-bc5f-865b2c641125

bgapi originate {origination_uuid=28064e86-a4cf-4fa7-ae05-76d48622c6e7,autocall_cdr_probe=true}null/autocall-cdr-probe &park()
Job-UUID: 4e9e5f0d-2660-40e6-bb43-07386e6abdbf

api uuid_kill 28064e86-a4cf-4fa7-ae05-76d48622c6e7

api show calls count

api show channels count

api show calls count

api show channels count

bgapi originate {origination_uuid=31888a86-2b0e-4443-8876-4d9d87ad8c48,autocall_cdr_probe=true}null/autocall-cdr-probe &hangup()
Job-UUID: fbf8a7fe-1fd5-496a-aeae-767f11c2792f

bgapi originate {origination_uuid=10cfdcee-9c21-4938-8d08-ef0aa8d02301,autocall_cdr_probe=true}null/autocall-cdr-probe &hangup()
Job-UUID: 5e8ad316-c95a-4366-b942-69d85230cd99

bgapi originate {origination_uuid=cb71f736-3f22-4690-91c5-0f7e73207818,autocall_cdr_probe=true}null/autocall-cdr-probe &hangup()
Job-UUID: cc74f0fe-fa31-4871-9eda-e1bb9adaa83c

bgapi originate {origination_uuid=ec36c5fb-e402-4439-bfd8-e5c36ebb044d,autocall_cdr_probe=true}null/autocall-cdr-probe &hangup()
Job-UUID: ddbeb0b3-e4e8-43b0-b3c4-aec1a831186b

bgapi originate {origination_uuid=6b2b7a24-a07e-498a-9ece-d57744ab2852,autocall_cdr_probe=true}null/autocall-cdr-probe &hangup()
Job-UUID: ef9ea01d-77b8-438a-a52c-5d7095ad2a6f

bgapi originate {origination_uuid=1dc2a086-a7c7-47c2-a5a9-e6e2448a341c,autocall_cdr_probe=true}null/autocall-cdr-probe &hangup()
Job-UUID: 792d7b47-7316-403c-8ae0-02c645b90b4f

bgapi originate {origination_uuid=a45b0a81-5d99-4628-bba8-f92359762b5b,autocall_cdr_probe=true}null/autocall-cdr-probe &hangup()
Job-UUID: 86d70c1a-4cc7-41e6-8d76-1c4e506f2bff

bgapi originate {origination_uuid=a6f7ba6a-9f53-4601-a7ee-73e179d35526,autocall_cdr_probe=true}null/autocall-cdr-probe &hangup()
Job-UUID: ffc07832-326a-4d17-9f5c-b6669e7139a1

bgapi originate {origination_uuid=a1c50022-125c-43ed-86e1-630d2406e8cb,autocall_cdr_probe=true}null/autocall-cdr-probe &hangup()
Job-UUID: af947dbf-1004-4ae8-b504-14f4daef0064

bgapi originate {origination_uuid=eca82dc6-debb-4961-959e-8b83c005f068,autocall_cdr_probe=true}null/autocall-cdr-probe &hangup()
Job-UUID: cef37805-4897-459c-9a20-3269335dd012

api status

