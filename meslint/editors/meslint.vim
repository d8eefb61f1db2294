" meslint's concise output in vim's quickfix list:  :compiler meslint  then  :make
" (copy to ~/.vim/compiler/meslint.vim).  Lines look like
"   deploy/x.service:8:1: MES603 error: WATCHDOG_PID_FILE resolves to ...
if exists("current_compiler") | finish | endif
let current_compiler = "meslint"
CompilerSet makeprg=meslint\ check\ --output-format\ concise\ --exit-zero
CompilerSet errorformat=%f:%l:%c:\ %o\ %trror:\ %m,%f:%l:%c:\ %o\ %tarning:\ %m,%f:%l:%c:\ %o\ %tnfo:\ %m
