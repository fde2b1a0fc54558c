# bash completion for vmm, vmmctl, linux-runner and scengen (vmm-mm).
# Installed once per program name in share/bash-completion/completions/.

_vmm_mm_commands="mmap munmap mprotect mremap madvise mlock munlock touch fill check
maps fork process exit cpu expect help ptdump vmas smaps walk stats tlb mm inject trace"

# Complete the words of one scenario line ($1: index of its first word).
_vmm_mm_line()
{
    local first=$1 cur=${COMP_WORDS[COMP_CWORD]}
    local n=$((COMP_CWORD - first)) cmd=${COMP_WORDS[first]} words=""
    if ((n == 0)); then
        words=$_vmm_mm_commands
    else
        case $cmd in
        expect) ((n == 1)) && words="result maps mapped unmapped shared exclusive vmas clean" ;;
        mm) ((n == 1)) && words="list new use destroy"
            [[ ${COMP_WORDS[first+1]} == list ]] && ((n == 2)) && words="json" ;;
        ptdump) words="merged leaves json json-leaves linux --format" ;;
        vmas|stats|check|tlb) ((n == 1)) && words="json" ;;
        maps) ((n == 1)) && words="--full" ;;
        walk) ((n == 2)) && words="json" ;;
        touch) ((n == 3)) && words="read write" ;;
        mmap) ((n >= 4)) && words="noreplace shared noreserve populate locked growsdown" ;;
        mremap) ((n >= 4)) && words="maymove dontunmap fixed" ;;
        madvise) ((n == 3)) && words="normal random sequential dontneed dontfork dofork
wipeonfork keeponfork populate_read populate_write" ;;
        mlock) ((n == 3)) && words="onfault" ;;
        inject) ((n == 1)) && words="stray-pte writable-zero" ;;
        trace) ((n == 1)) && words="on off"
            [[ ${COMP_WORDS[first+1]} == on ]] && ((n == 2)) && words="text json chrome" ;;
        esac
    fi
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}

_vmm()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    case $prev in
    --script) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --out-dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    --control) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --report) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --trace-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --gdb) return ;;                      # a port, or unix:PATH
    --timeout) return ;;                  # seconds
    --mem) COMPREPLY=($(compgen -W "16M 64M 128M 256M 512M 1G 2G" -- "$cur")); return ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--script --out-dir --mem --check --control --report --gdb --gdb-wait --timeout --quiet --info
--trace --trace= --trace-file --help --version" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -X '!*.elf' -- "$cur") $(compgen -d -- "$cur"))
    fi
}

_vmmctl()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} i
    case $prev in
    -s|--socket) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    esac
    # The first word that is not an option (or an option's argument) starts the command.
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
        -s|--socket) ((i++)) ;;
        -*) ;;
        *) _vmm_mm_line "$i"; return ;;
        esac
    done
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--socket --raw --help --version" -- "$cur"))
    else
        _vmm_mm_line "$COMP_CWORD"
    fi
}

_linux_runner()
{
    local cur=${COMP_WORDS[COMP_CWORD]}
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--help --version" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}

_scengen()
{
    local cur=${COMP_WORDS[COMP_CWORD]}
    [[ $cur == -* ]] && COMPREPLY=($(compgen -W "--v2 --help --version" -- "$cur"))
}

complete -F _vmm vmm
complete -F _vmmctl vmmctl
complete -F _linux_runner linux-runner
complete -F _scengen scengen
