// Arty A7-35T (XC7A35TICSG324-1L) board top: the 100 MHz oscillator is the core clock by
// default; another clock comes from an MMCME2_ADV (MMCM_ENABLE = 1). FT2232HQ USB-UART
// (uart_txd_in in, uart_rxd_out out) at 4 Mbaud (exactly 25 cycles per bit at 100 MHz);
// LEDs LD4-LD7; DONE/BUSY on PMOD JA pins 1/2. Pins and the input clock: arty_a7_35t.xdc.
// Power-on reset: held until the MMCM locks plus 15 cycles.
//
// Build parameters (docs/gateware.md "Board tops"): `hilbench build` sets BUILD_HASH, LANES,
// BAUD, CLK_HZ and the MMCM's D/M/O (bench/core/hb_pll.c): CLK_HZ = 100 MHz * M / (D * O).
`default_nettype none
module hb_board_arty_a7 #(
    parameter [31:0] BUILD_HASH = 32'h0,
    parameter integer LANES = 256,
    parameter integer BAUD = 4_000_000,
    parameter integer CLK_HZ = 100_000_000,
    parameter integer MMCM_ENABLE = 0,         // 0: the core runs on CLK100MHZ
    parameter integer MMCM_D = 1,              // DIVCLK_DIVIDE
    parameter integer MMCM_M = 10,             // CLKFBOUT_MULT_F (integer values only)
    parameter integer MMCM_O = 10              // CLKOUT0_DIVIDE_F (integer values only)
) (
    input  wire       CLK100MHZ,
    input  wire       uart_txd_in,
    output wire       uart_rxd_out,
    output wire [3:0] led,
    output wire [1:0] ja            // ja[0] DONE (JA1), ja[1] BUSY (JA2)
);
    wire clk, lock;
    generate if (MMCM_ENABLE != 0) begin : g_mmcm
        wire fb_out, fb_in, clk_out;
        MMCME2_ADV #(
            .BANDWIDTH("OPTIMIZED"), .COMPENSATION("ZHOLD"), .CLKIN1_PERIOD(10.0),
            .DIVCLK_DIVIDE(MMCM_D), .CLKFBOUT_MULT_F(MMCM_M), .CLKOUT0_DIVIDE_F(MMCM_O)
        ) u_mmcm (
            .CLKIN1(CLK100MHZ), .CLKIN2(1'b0), .CLKINSEL(1'b1), .CLKFBIN(fb_in),
            .CLKFBOUT(fb_out), .CLKOUT0(clk_out), .LOCKED(lock), .RST(1'b0), .PWRDWN(1'b0),
            .DADDR(7'd0), .DCLK(1'b0), .DEN(1'b0), .DI(16'd0), .DWE(1'b0),
            .PSCLK(1'b0), .PSEN(1'b0), .PSINCDEC(1'b0)
        );
        BUFG u_fb_buf (.I(fb_out), .O(fb_in));   // feedback through the clock tree (ZHOLD)
        BUFG u_clk_buf (.I(clk_out), .O(clk));
    end else begin : g_osc
        assign clk = CLK100MHZ;
        assign lock = 1'b1;
    end endgenerate

    reg [3:0] por = 4'd0;
    always @(posedge clk) begin
        if (!lock)            por <= 4'd0;
        else if (por != 4'hF) por <= por + 1'b1;
    end
    hb_top #(.CLK_HZ(CLK_HZ), .BAUD(BAUD), .LANES(LANES), .FAMILY(3),
             .BUILD_HASH(BUILD_HASH), .WMEM_BYTES(131072 - 25088), .IMEM_BYTES(25088),
             .MAX_L(512)) u_top (
        .clk(clk), .rst(por != 4'hF), .uart_rx(uart_txd_in), .uart_tx(uart_rxd_out),
        .done(ja[0]), .busy(ja[1]), .led(led), .act_syn(), .act_ops(), .act_wmem(),
        .act_imem(), .act_lif(), .act_uart());
endmodule
`default_nettype wire
