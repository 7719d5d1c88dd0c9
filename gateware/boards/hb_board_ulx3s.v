// ULX3S (ECP5 LFE5U-85F, also 12F/25F/45F) board top: the 25 MHz oscillator is the core clock
// by default (25 MHz gives an exact 1 Mbaud divider); another clock comes from an EHXPLLL
// (PLL_ENABLE = 1). FT231X UART (ftdi_txd in, ftdi_rxd out); LEDs 0-3; DONE/BUSY on GPIO
// gp[0]/gp[1] (J1). Pins: ulx3s.lpf. Power-on reset: held until the PLL locks plus 15 cycles.
//
// Build parameters (docs/gateware.md "Board tops"): `hilbench build` sets BUILD_HASH, LANES,
// BAUD, CLK_HZ and the PLL's dividers, computed as ecppll does (bench/core/hb_pll.c):
// CLK_HZ = 25 MHz * CLKFB_DIV / CLKI_DIV, VCO = CLK_HZ * CLKOP_DIV.
`default_nettype none
module hb_board_ulx3s #(
    parameter [31:0] BUILD_HASH = 32'h0,
    parameter integer LANES = 256,
    parameter integer BAUD = 1_000_000,
    parameter integer CLK_HZ = 25_000_000,
    parameter integer PLL_ENABLE = 0,          // 0: the core runs on clk_25mhz
    parameter integer PLL_CLKI_DIV = 1,
    parameter integer PLL_CLKFB_DIV = 1,
    parameter integer PLL_CLKOP_DIV = 24,
    parameter integer PLL_CLKOP_CPHASE = 12
) (
    input  wire       clk_25mhz,
    input  wire       ftdi_txd,     // FPGA receives
    output wire       ftdi_rxd,     // FPGA transmits
    output wire [7:0] led,
    output wire [1:0] gp            // gp[0] DONE, gp[1] BUSY
);
    wire clk, lock;
    generate if (PLL_ENABLE != 0) begin : g_pll
        // Loop settings as Lattice's tools (and ecppll) write them; CLKOP is its own feedback.
        (* ICP_CURRENT="12" *) (* LPF_RESISTOR="8" *) (* MFG_ENABLE_FILTEROPAMP="1" *)
        (* MFG_GMCREF_SEL="2" *)
        EHXPLLL #(
            .PLLRST_ENA("DISABLED"), .INTFB_WAKE("DISABLED"), .STDBY_ENABLE("DISABLED"),
            .DPHASE_SOURCE("DISABLED"), .OUTDIVIDER_MUXA("DIVA"), .CLKOP_ENABLE("ENABLED"),
            .CLKI_DIV(PLL_CLKI_DIV), .CLKFB_DIV(PLL_CLKFB_DIV), .CLKOP_DIV(PLL_CLKOP_DIV),
            .CLKOP_CPHASE(PLL_CLKOP_CPHASE), .CLKOP_FPHASE(0), .FEEDBK_PATH("CLKOP")
        ) u_pll (
            .CLKI(clk_25mhz), .CLKFB(clk), .CLKOP(clk), .LOCK(lock), .RST(1'b0), .STDBY(1'b0),
            .PHASESEL0(1'b0), .PHASESEL1(1'b0), .PHASEDIR(1'b0), .PHASESTEP(1'b0),
            .PHASELOADREG(1'b0), .PLLWAKESYNC(1'b0), .ENCLKOP(1'b0)
        );
    end else begin : g_osc
        assign clk = clk_25mhz;
        assign lock = 1'b1;
    end endgenerate

    reg [3:0] por = 4'd0;
    always @(posedge clk) begin
        if (!lock)            por <= 4'd0;
        else if (por != 4'hF) por <= por + 1'b1;
    end
    wire [3:0] l;
    hb_top #(.CLK_HZ(CLK_HZ), .BAUD(BAUD), .LANES(LANES), .FAMILY(2),
             .BUILD_HASH(BUILD_HASH), .WMEM_BYTES(131072 - 25088), .IMEM_BYTES(25088),
             .MAX_L(512)) u_top (
        .clk(clk), .rst(por != 4'hF), .uart_rx(ftdi_txd), .uart_tx(ftdi_rxd),
        .done(gp[0]), .busy(gp[1]), .led(l), .act_syn(), .act_ops(), .act_wmem(),
        .act_imem(), .act_lif(), .act_uart());
    assign led = {4'b0000, l};
endmodule
`default_nettype wire
