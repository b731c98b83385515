auth ClueCon

event plain ALL

api xml_locate dialplan context name autocall

api xml_locate dialplan context name nosuchcontext

api module_exists mod_avmd

api module_exists mod_nosuch

api global_getvar core_uuid

