auth ClueCon

event plain ALL

api xml_locate dialplan context name autocall

api xml_locate dialplan context name nosuchcontext

api module_exists mod_avmd

api module_exists mod_nosuch

api global_getvar core_uuid

api fsctl sps

api fsctl max_sessions

api fsctl

api fsctl shutdown_check

api fsctl last_sps

api fsctl sps_peak_reset

api status

api show channels as json

