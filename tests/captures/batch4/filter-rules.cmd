auth ClueCon

event plain HEARTBEAT BACKGROUND_JOB

bgapi status
Job-UUID: 872711ab-ae55-4691-8dd9-d0908828207a

filter

filter Event-Name

filter delete

filter Event-Name heartbeat

bgapi status
Job-UUID: c09a64ac-aeee-4764-9246-facfc5cd76ff

filter delete Event-Name HEARTBEAT

bgapi status
Job-UUID: 8f3342d1-9669-4692-a650-8df5f5cbfd38

filter delete Event-Name heartbeat

bgapi status
Job-UUID: 33836ba7-f577-4c5c-9a63-46bcd112d784

filter event-name /^BACKGROUND/

bgapi status
Job-UUID: e90530f1-822e-4af8-a4dc-ebdc16d6ef62

filter delete all

bgapi status
Job-UUID: 730e70b7-4f5a-4030-bea7-8d2982ed0556

filter Event-Name -HEARTBEAT

bgapi status
Job-UUID: 75031b3e-fbb4-4545-8d9b-a498f06422aa

filter Job-Command status

bgapi status
Job-UUID: 6c8be365-6157-4e5d-9389-aaa253ec0ec5

filter Event-Name +HEARTBEAT

filter Job-Command -status

bgapi status
Job-UUID: 82cdfdc0-6358-40ac-88fc-bd6cce63ecab

filter delete Event-Name

bgapi status
Job-UUID: 280afc78-fa3b-4c13-965e-3590a662832f

filter delete Job-Command -status

bgapi status
Job-UUID: ea0780a1-60c5-472e-9d4a-9c7ea28e1108

filter add Event-Name HEARTBEAT

filter Event-Name HEARTBEAT

filter delete Event-Name HEARTBEAT

filter delete Job-Command status

bgapi status
Job-UUID: ccaae7f2-f9cb-478e-97f8-ee5ee81a750f

