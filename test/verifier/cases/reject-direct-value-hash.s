# expect: reject
# message: no direct value access support for this map type
# map: counts hash key=4 value=8 entries=16
# why: only one-element arrays (global data) have an address to load
ld_pseudo r1, 6, 0
r0 = 0
exit
