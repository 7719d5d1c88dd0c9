// iCEBreaker (iCE40UP5K-SG48) board top: 12 MHz oscillator -> SB_PLL40_PAD -> core clock
// (24 MHz by default); FT2232H interface B UART; LEDs; DONE/BUSY on PMOD 1A pins 1/2 (pins 4,
// 2). Pins: icebreaker.pcf. Power-on reset: held until the PLL locks plus 15 cycles.
//
// Build parameters (the board top contract, docs/gateware.md "Board tops"): `hilbench build`
// sets BUILD_HASH, LANES, BAUD, CLK_HZ and the PLL's dividers, computed for the requested clock
// as icepll does (bench/core/hb_pll.c): CLK_HZ = 12 MHz * (DIVF+1) / ((DIVR+1) * 2^DIVQ).
`default_nettype none
module hb_board_icebreaker #(
    parameter [31:0] BUILD_HASH = 32'h0,
    parameter integer LANES = 32,
    parameter integer BAUD = 3_000_000,
    parameter integer CLK_HZ = 24_000_000,     // 12 MHz * 64 / 32; VCO 768 MHz
    parameter integer PLL_DIVR = 0,
    parameter integer PLL_DIVF = 63,
    parameter integer PLL_DIVQ = 5,
    parameter integer PLL_FILTER_RANGE = 1
) (
    input  wire CLK,        // 12 MHz
    input  wire RX,         // from the FTDI (host TX)
    output wire TX,         // to the FTDI (host RX)
    output wire LEDG_N,     // heartbeat
    output wire LEDR_N,     // error
    output wire LED1,       // busy (PMOD2 snap-off board)
    output wire LED2,       // configured
    output wire P1A1,       // DONE pulse
    output wire P1A2        // BUSY level
);
    wire clk, lock;
    SB_PLL40_PAD #(
        .FEEDBACK_PATH("SIMPLE"),
        .DIVR(PLL_DIVR[3:0]), .DIVF(PLL_DIVF[6:0]), .DIVQ(PLL_DIVQ[2:0]),
        .FILTER_RANGE(PLL_FILTER_RANGE[2:0])
    ) u_pll (
        .PACKAGEPIN(CLK), .PLLOUTGLOBAL(clk), .LOCK(lock), .RESETB(1'b1), .BYPASS(1'b0)
    );

    reg [3:0] por = 4'd0;
    always @(posedge clk) begin
        if (!lock)            por <= 4'd0;
        else if (por != 4'hF) por <= por + 1'b1;
    end
    wire rst = (por != 4'hF);

    wire [3:0] led;
    hb_top #(.CLK_HZ(CLK_HZ), .BAUD(BAUD), .LANES(LANES), .FAMILY(1), .BUILD_HASH(BUILD_HASH),
             .WMEM_BYTES(131072 - 25088), .IMEM_BYTES(25088), .MAX_L(512)) u_top (
        .clk(clk), .rst(rst), .uart_rx(RX), .uart_tx(TX), .done(P1A1), .busy(P1A2),
        .led(led), .act_syn(), .act_ops(), .act_wmem(), .act_imem(), .act_lif(), .act_uart());
    assign LEDG_N = ~led[0];
    assign LEDR_N = ~led[2];
    assign LED1   = led[1];
    assign LED2   = led[3];
endmodule
`default_nettype wire
