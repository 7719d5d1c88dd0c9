# Toolchain file for the probe image: Debian's gcc-arm-none-eabi with newlib-nano
# (libnewlib-arm-none-eabi). Cortex-M4, Thumb-2, no FPU use (soft-float ABI).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
find_program(CMAKE_C_COMPILER arm-none-eabi-gcc REQUIRED)
get_filename_component(_bin ${CMAKE_C_COMPILER} DIRECTORY)
find_program(CMAKE_OBJCOPY arm-none-eabi-objcopy HINTS ${_bin} REQUIRED)
find_program(HBP_SIZE arm-none-eabi-size HINTS ${_bin} REQUIRED)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_C_FLAGS_INIT "-mcpu=cortex-m4 -mthumb -mfloat-abi=soft -ffunction-sections -fdata-sections -fno-common")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-nostartfiles --specs=nano.specs --specs=nosys.specs -Wl,--gc-sections")
