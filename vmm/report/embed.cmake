# Turn a text file into a C array at build time (the report page's script
# and style, vmm/report/report.js and report.css):
#   cmake -DIN=FILE -DOUT=FILE.c -DNAME=symbol -P embed.cmake
# gives  const char symbol[] = { ..., 0 };  (NUL-terminated text).
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" body "${body}")
file(WRITE "${OUT}.tmp"
     "/* Generated from ${IN} by vmm/report/embed.cmake: do not edit. */\n"
     "extern const char ${NAME}[];\nconst char ${NAME}[] = {\n${body}0x00 };\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
