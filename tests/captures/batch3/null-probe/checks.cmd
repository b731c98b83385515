auth ClueCon

event json ALL

api module_exists mod_loopback

api module_exists mod_json_cdr

api show calls count

api fsctl sps

api status

