# The bench probe's STM32F4 images, built by arm-none-eabi-gcc as a separate CMake project
# (firmware/hal/stm32f4/CMakeLists.txt) when Debian's gcc-arm-none-eabi and
# libnewlib-arm-none-eabi are installed. Sets HB_PROBE_IMAGE_DIR and the target probe-firmware.
option(HB_PROBE_FIRMWARE "Build the bench-probe firmware images (needs gcc-arm-none-eabi)" ON)
set(HB_PROBE_IMAGE_DIR ${CMAKE_BINARY_DIR}/firmware/stm32f4 CACHE INTERNAL "probe images")
find_program(HB_ARM_GCC arm-none-eabi-gcc)
set(_why "")
if(NOT HB_PROBE_FIRMWARE)
  set(_why "HB_PROBE_FIRMWARE=OFF")
elseif(NOT HB_ARM_GCC)
  set(_why "needs arm-none-eabi-gcc (apt install gcc-arm-none-eabi libnewlib-arm-none-eabi)")
else()
  execute_process(COMMAND ${HB_ARM_GCC} -print-file-name=libc_nano.a
                  OUTPUT_VARIABLE _nano OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT IS_ABSOLUTE "${_nano}" OR NOT EXISTS "${_nano}")
    set(_why "arm-none-eabi-gcc has no newlib-nano (apt install libnewlib-arm-none-eabi)")
  endif()
endif()
if(_why)
  set(HB_HAVE_PROBE_IMAGE OFF CACHE INTERNAL "")
  hb_feature("probe firmware (STM32F4)" OFF "${_why}")
  return()
endif()
set(HB_HAVE_PROBE_IMAGE ON CACHE INTERNAL "")
execute_process(COMMAND ${HB_ARM_GCC} -dumpversion OUTPUT_VARIABLE _ver
                OUTPUT_STRIP_TRAILING_WHITESPACE)
# IDENTIFY's build_hash: the first 8 hex digits of the source revision.
execute_process(COMMAND git -C ${CMAKE_SOURCE_DIR} rev-parse --short=8 HEAD
                OUTPUT_VARIABLE _rev OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT _rev MATCHES "^[0-9a-f]+$")
  set(_rev 0)
endif()
include(ExternalProject)
ExternalProject_Add(probe-firmware
  SOURCE_DIR ${CMAKE_CURRENT_SOURCE_DIR}/hal/stm32f4
  BINARY_DIR ${HB_PROBE_IMAGE_DIR}
  CMAKE_ARGS -DCMAKE_TOOLCHAIN_FILE=${CMAKE_CURRENT_SOURCE_DIR}/hal/stm32f4/arm-none-eabi.cmake
             -DCMAKE_BUILD_TYPE=MinSizeRel -DHBP_BUILD_HASH=0x${_rev}
             -DHBP_CORE_DIR=${CMAKE_CURRENT_SOURCE_DIR}/core
  BUILD_ALWAYS ON
  INSTALL_COMMAND ""
  BUILD_BYPRODUCTS ${HB_PROBE_IMAGE_DIR}/hb_probe_blackpill.elf
                   ${HB_PROBE_IMAGE_DIR}/hb_probe_nucleo.elf)
hb_feature("probe firmware (STM32F4)" ON "arm-none-eabi-gcc ${_ver} + newlib-nano, images in firmware/stm32f4/, flash and RAM use printed by the build")
