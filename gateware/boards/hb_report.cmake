# hb_report.cmake -- turn yosys `stat -json` and nextpnr `--report` output into
# ${DIR}/report.json. Run with cmake -P; arguments: BOARD FAMILY PART TARGET_MHZ LANES HASH
# DIR [REQUIRE_TIMING]. Fails (after writing the report) when REQUIRE_TIMING is ON and the
# design does not fit or misses the target clock.
cmake_minimum_required(VERSION 3.25)

file(READ ${DIR}/stat.json stat)
string(JSON cells GET "${stat}" design num_cells_by_type)
string(JSON ncell LENGTH "${cells}")
set(luts 0)
set(ffs 0)
set(bram 0)
set(spram 0)
set(dsp 0)
set(carry 0)
set(lutram 0)
math(EXPR last "${ncell} - 1")
foreach(i RANGE ${last})
  string(JSON type MEMBER "${cells}" ${i})
  string(JSON n GET "${cells}" "${type}")
  if(type MATCHES "^(SB_LUT4|LUT4|LUT[1-6])$")
    math(EXPR luts "${luts} + ${n}")
  elseif(type MATCHES "^(SB_DFF.*|TRELLIS_FF|FD[RSCP]E)$")
    math(EXPR ffs "${ffs} + ${n}")
  elseif(type MATCHES "^(SB_RAM40_4K|DP16KD|PDPW16KD|RAMB18E1)$")
    math(EXPR bram "${bram} + ${n}")
  elseif(type MATCHES "^RAMB36E1$")
    math(EXPR bram "${bram} + 2 * ${n}")
  elseif(type MATCHES "^SB_SPRAM256KA$")
    math(EXPR spram "${spram} + ${n}")
  elseif(type MATCHES "^(SB_MAC16|MULT18X18D|DSP48E1)$")
    math(EXPR dsp "${dsp} + ${n}")
  elseif(type MATCHES "^(SB_CARRY|CCU2C|CARRY4)$")
    math(EXPR carry "${carry} + ${n}")
  elseif(type MATCHES "^(TRELLIS_DPR16X4|RAM32M|RAM64M|RAM32X1D|RAM64X1D|RAM128X1D|RAM256X1S)$")
    math(EXPR lutram "${lutram} + ${n}")
  endif()
endforeach()

# capacities (LUTs, FFs, block RAM in the unit counted above, DSP)
if(FAMILY STREQUAL "ice40")
  set(cap_lut 5280)
  set(cap_ff 5280)
  set(cap_bram 30)     # 4 kbit EBR
  set(cap_dsp 8)
  set(bram_unit "EBR 4kbit")
elseif(FAMILY STREQUAL "ecp5")
  set(cap_lut 83640)
  set(cap_ff 83640)
  set(cap_bram 208)    # DP16KD 18 kbit
  set(cap_dsp 156)
  set(bram_unit "DP16KD 18kbit")
else()
  set(cap_lut 20800)
  set(cap_ff 41600)
  set(cap_bram 100)    # RAMB18 18 kbit (a RAMB36 counts 2)
  set(cap_dsp 90)
  set(bram_unit "RAMB18 18kbit")
endif()

# place and route results when nextpnr ran
set(pnr "false")
set(lcs "null")
set(fmax "null")
set(timing "null")
set(lut_used ${luts})
if(EXISTS ${DIR}/nextpnr.json)
  set(pnr "true")
  file(READ ${DIR}/nextpnr.json rep)
  string(JSON util GET "${rep}" utilization)
  string(JSON nu LENGTH "${util}")
  math(EXPR last "${nu} - 1")
  foreach(i RANGE ${last})
    string(JSON bel MEMBER "${util}" ${i})
    string(JSON used GET "${util}" "${bel}" used)
    if(bel STREQUAL "ICESTORM_LC" OR bel STREQUAL "TRELLIS_SLICE")
      set(lcs ${used})
    elseif(bel STREQUAL "ICESTORM_RAM" OR bel STREQUAL "DP16KD")
      set(bram ${used})
    elseif(bel STREQUAL "ICESTORM_SPRAM")
      set(spram ${used})
    elseif(bel STREQUAL "ICESTORM_DSP" OR bel STREQUAL "MULT18X18D")
      set(dsp ${used})
    endif()
  endforeach()
  string(JSON fm GET "${rep}" fmax)
  string(JSON nf LENGTH "${fm}")
  set(timing "true")
  if(nf GREATER 0)
    math(EXPR last "${nf} - 1")
    foreach(i RANGE ${last})
      string(JSON ck MEMBER "${fm}" ${i})
      string(JSON ach GET "${fm}" "${ck}" achieved)
      if(fmax STREQUAL "null" OR ach LESS fmax)
        set(fmax ${ach})
      endif()
    endforeach()
    if(fmax LESS TARGET_MHZ)
      set(timing "false")
    endif()
  endif()
endif()

# icetime (iCE40): an independent timing estimate of the packed bitstream; it must agree
set(icetime "null")
if(EXISTS ${DIR}/icetime.rpt)
  file(STRINGS ${DIR}/icetime.rpt itline REGEX "Total path delay: .*MHz")
  if(itline MATCHES "\\(([0-9.]+) MHz\\)")
    set(icetime ${CMAKE_MATCH_1})
    if(icetime LESS TARGET_MHZ)
      set(timing "false")
    endif()
  endif()
endif()

if(lcs STREQUAL "null" AND EXISTS ${DIR}/nextpnr.log)
  # placement failed: the log still lists the logic cells the design needs
  file(STRINGS ${DIR}/nextpnr.log lcline REGEX "ICESTORM_LC: +[0-9]+/")
  if(lcline MATCHES "ICESTORM_LC: +([0-9]+)/")
    set(lcs ${CMAKE_MATCH_1})
  endif()
endif()
set(fits "true")
if(PNR_EXPECTED AND pnr STREQUAL "false")
  set(fits "false")       # place and route failed (see nextpnr.log)
  set(timing "false")
endif()
if(luts GREATER cap_lut OR ffs GREATER cap_ff OR bram GREATER cap_bram OR dsp GREATER cap_dsp)
  set(fits "false")
endif()
if(FAMILY STREQUAL "ice40")
  if(spram GREATER 4)
    set(fits "false")
  endif()
  if(NOT lcs STREQUAL "null" AND lcs GREATER cap_lut)
    set(fits "false")
  endif()
endif()

string(TIMESTAMP now "%Y-%m-%dT%H:%M:%SZ" UTC)
set(json "{
  \"board\": \"${BOARD}\",
  \"family\": \"${FAMILY}\",
  \"part\": \"${PART}\",
  \"lanes\": ${LANES},
  \"build_hash\": \"0x${HASH}\",
  \"target_mhz\": ${TARGET_MHZ},
  \"luts\": ${luts},
  \"logic_cells\": ${lcs},
  \"carry\": ${carry},
  \"lutram\": ${lutram},
  \"ffs\": ${ffs},
  \"bram\": ${bram},
  \"bram_unit\": \"${bram_unit}\",
  \"spram\": ${spram},
  \"dsp\": ${dsp},
  \"capacity\": {\"luts\": ${cap_lut}, \"ffs\": ${cap_ff}, \"bram\": ${cap_bram}, \"dsp\": ${cap_dsp}},
  \"place_and_route\": ${pnr},
  \"fmax_mhz\": ${fmax},
  \"icetime_mhz\": ${icetime},
  \"fits\": ${fits},
  \"timing_pass\": ${timing},
  \"generated\": \"${now}\"
}
")
file(WRITE ${DIR}/report.json "${json}")
message(STATUS "${BOARD}: LUTs ${luts}, LCs ${lcs}, FFs ${ffs}, BRAM ${bram}, SPRAM ${spram}, DSP ${dsp}, Fmax ${fmax} MHz (icetime ${icetime}, target ${TARGET_MHZ}), fits ${fits}, timing ${timing} -> ${DIR}/report.json")
if(REQUIRE_TIMING AND (NOT fits STREQUAL "true" OR NOT timing STREQUAL "true"))
  message(FATAL_ERROR "${BOARD}: design does not fit or misses ${TARGET_MHZ} MHz (see ${DIR}/report.json)")
endif()
