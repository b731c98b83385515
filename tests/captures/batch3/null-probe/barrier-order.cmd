auth ClueCon

event json ALL

bgapi originate {originate_timeout=10,ignore_early_media=true}[origination_uuid=a3ccb6da-4650-4c04-8c8a-314f1a53af77]sofia/gateway/autocall-viettel/0982000000 &park()
Job-UUID: b9834bc9-822d-440a-b93c-0a31358cbefe

bgapi originate {originate_timeout=10,ignore_early_media=true}[origination_uuid=46234e5d-87a6-445f-b216-27b27ba1e9ba]sofia/gateway/autocall-viettel/0982000001 &park()
Job-UUID: 297e3f61-2705-4665-ba31-554d0fa3d7e5

bgapi originate {originate_timeout=10,ignore_early_media=true}[origination_uuid=359cb2ff-065e-4dd0-b655-d358a0ad9a02]sofia/gateway/autocall-viettel/0982000002 &park()
Job-UUID: bfb6c7bd-e067-4ee1-98da-3ae918e62227

bgapi originate {origination_uuid=cb1c6517-aee3-4fb6-9221-b349de5c9481,autocall_cdr_probe=true}null/autocall-cdr-probe &hangup()
Job-UUID: bc20f96e-6c4d-412e-8f18-b12feb1da647

