// ULX3S (ECP5 LFE5U-85F, also 12F/25F/45F) board top: 25 MHz oscillator used directly as the
// core clock (an EHXPLLL is optional and not used: 25 MHz gives an exact 1 Mbaud divider);
// FT231X UART (ftdi_txd in, ftdi_rxd out); LEDs 0-3; DONE/BUSY on GPIO gp[0]/gp[1] (J1).
// Pins: ulx3s.lpf. Power-on reset: 15 cycles.
`default_nettype none
module hb_board_ulx3s #(
    parameter [31:0] BUILD_HASH = 32'h0,
    parameter integer LANES = 256,
    parameter integer BAUD = 1_000_000
) (
    input  wire       clk_25mhz,
    input  wire       ftdi_txd,     // FPGA receives
    output wire       ftdi_rxd,     // FPGA transmits
    output wire [7:0] led,
    output wire [1:0] gp            // gp[0] DONE, gp[1] BUSY
);
    reg [3:0] por = 4'd0;
    always @(posedge clk_25mhz) if (por != 4'hF) por <= por + 1'b1;
    wire [3:0] l;
    hb_top #(.CLK_HZ(25_000_000), .BAUD(BAUD), .LANES(LANES), .FAMILY(2),
             .BUILD_HASH(BUILD_HASH), .WMEM_BYTES(131072 - 25088), .IMEM_BYTES(25088),
             .MAX_L(512)) u_top (
        .clk(clk_25mhz), .rst(por != 4'hF), .uart_rx(ftdi_txd), .uart_tx(ftdi_rxd),
        .done(gp[0]), .busy(gp[1]), .led(l), .act_syn(), .act_ops(), .act_wmem(),
        .act_imem(), .act_lif(), .act_uart());
    assign led = {4'b0000, l};
endmodule
`default_nettype wire
