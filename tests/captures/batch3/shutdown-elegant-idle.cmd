auth ClueCon

event plain ALL

api show calls count

bgapi fsctl shutdown elegant
Job-UUID: f93c3edc-b4fb-4ceb-b910-fbf5fae73b32

api fsctl shutdown cancel

api fsctl shutdown_check

