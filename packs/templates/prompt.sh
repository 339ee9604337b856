# Managed by HomelabCmd (pack: developer-max): user@host dir (branch)$
__hlc_git_branch() {
    b=$(git symbolic-ref --short HEAD 2>/dev/null) && printf ' (%s)' "$b"
}
PS1='\[\e[32m\]\u@\h\[\e[0m\] \[\e[34m\]\w\[\e[33m\]$(__hlc_git_branch)\[\e[0m\]\$ '
