hb_feature("probe firmware (STM32F4)" OFF "not wired yet")
