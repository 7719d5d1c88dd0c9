// hb_uart_tx -- 8N1 UART transmitter, DIV = round(CLK_HZ / BAUD) cycles per bit.
// `ready` is high when a byte can be handed over with `valid`; bytes handed over as soon as
// `ready` rises go out back to back (no gap after the stop bit).
`default_nettype none
module hb_uart_tx #(
    parameter integer CLK_HZ = 24_000_000,
    parameter integer BAUD   = 3_000_000,
    parameter integer DYN_DIV = 0          // 1: cycles per bit from div_in (virtual board)
) (
    input  wire       clk,
    input  wire       rst,
    input  wire [15:0] div_in,     // cycles per bit when DYN_DIV; else unused
    input  wire [7:0] data,
    input  wire       valid,
    output wire       ready,
    output reg        tx,          // pin, idle high
    output reg        edge_out     // tx changes next cycle (activity)
);
    localparam integer DIV = (CLK_HZ + BAUD / 2) / BAUD;
    localparam integer CW  = DYN_DIV ? 16 : $clog2(DIV + 1);
    wire [CW-1:0] div_m1 = DYN_DIV ? div_in[CW-1:0] - 1'b1 : DIV[CW-1:0] - 1'b1;

    reg          active;
    reg [CW-1:0] cnt;
    reg [3:0]    nbit;
    reg [8:0]    sh;           // {stop, data} remaining after the current bit

    assign ready = !active;

    always @(posedge clk) begin
        edge_out <= 1'b0;
        if (rst) begin
            active <= 1'b0;
            cnt    <= {CW{1'b0}};
            nbit   <= 4'd0;
            sh     <= 9'h1FF;
            tx     <= 1'b1;
        end else if (!active) begin
            if (valid) begin
                active   <= 1'b1;
                tx       <= 1'b0;                 // start bit
                edge_out <= tx;
                sh       <= {1'b1, data};
                cnt      <= div_m1;
                nbit     <= 4'd0;
            end
        end else if (cnt != 0) begin
            cnt <= cnt - 1'b1;
        end else if (nbit == 4'd9) begin
            active <= 1'b0;                       // stop bit done
        end else begin
            tx       <= sh[0];
            edge_out <= tx ^ sh[0];
            sh       <= {1'b1, sh[8:1]};
            nbit     <= nbit + 1'b1;
            cnt      <= div_m1;
        end
    end
endmodule
`default_nettype wire
