# expect: reject
# message: the call stack of 9 frames is too deep
# why: endless recursion runs out of the 8 call frames
r1 = 0
call self
r0 = 0
exit
self:
call self
r0 = 0
exit
