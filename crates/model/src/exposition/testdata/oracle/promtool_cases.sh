#!/bin/bash
# promtool oracle for OM cases: prints "<id>\t<first stderr line>"
while IFS=$'\t' read -r id fmt hex; do
  [ "$fmt" = "O" ] || continue
  rm -rf /tmp/orc/ptout; 
  msg=$(promtool tsdb create-blocks-from openmetrics /tmp/orc/cases/$id.om /tmp/orc/ptout 2>&1 >/dev/null | head -1)
  printf '%s\t%s\n' "$id" "$msg"
done < cases.tsv
