# hb_feature(NAME ON|OFF "why") records an optional part and the reason it is on or off;
# hb_feature_summary() prints the list at the end of configure.
set_property(GLOBAL PROPERTY HB_FEATURES "")

function(hb_feature name state why)
  if(state)
    set(word "on ")
  else()
    set(word "off")
  endif()
  set_property(GLOBAL APPEND PROPERTY HB_FEATURES "  ${word}  ${name}: ${why}")
endfunction()

function(hb_feature_summary)
  get_property(lines GLOBAL PROPERTY HB_FEATURES)
  message(STATUS "hilbench ${PROJECT_VERSION} (${HB_GIT_REV}) optional parts:")
  foreach(l IN LISTS lines)
    message(STATUS "${l}")
  endforeach()
endfunction()
