// Arty A7-35T (XC7A35TICSG324-1L) board top: 100 MHz oscillator used directly; FT2232HQ
// USB-UART (uart_txd_in in, uart_rxd_out out) at 4 Mbaud (exactly 25 cycles per bit);
// LEDs LD4-LD7; DONE/BUSY on PMOD JA pins 1/2. Pins: arty_a7_35t.xdc.
`default_nettype none
module hb_board_arty_a7 #(
    parameter [31:0] BUILD_HASH = 32'h0,
    parameter integer LANES = 256,
    parameter integer BAUD = 4_000_000
) (
    input  wire       CLK100MHZ,
    input  wire       uart_txd_in,
    output wire       uart_rxd_out,
    output wire [3:0] led,
    output wire [1:0] ja            // ja[0] DONE (JA1), ja[1] BUSY (JA2)
);
    reg [3:0] por = 4'd0;
    always @(posedge CLK100MHZ) if (por != 4'hF) por <= por + 1'b1;
    hb_top #(.CLK_HZ(100_000_000), .BAUD(BAUD), .LANES(LANES), .FAMILY(3),
             .BUILD_HASH(BUILD_HASH), .WMEM_BYTES(131072 - 25088), .IMEM_BYTES(25088),
             .MAX_L(512)) u_top (
        .clk(CLK100MHZ), .rst(por != 4'hF), .uart_rx(uart_txd_in), .uart_tx(uart_rxd_out),
        .done(ja[0]), .busy(ja[1]), .led(led), .act_syn(), .act_ops(), .act_wmem(),
        .act_imem(), .act_lif(), .act_uart());
endmodule
`default_nettype wire
