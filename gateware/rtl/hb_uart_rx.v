// hb_uart_rx -- 8N1 UART receiver.
//
// Two-flop synchroniser on the pin, start-bit detection on the synchronised level,
// then one sample per bit in the middle of the bit. DIV = round(CLK_HZ / BAUD) cycles per
// bit; DIV >= 4 is required (e.g. 48 MHz / 12 Mbaud, 24 MHz / 3 Mbaud).
//
// Timing: the FSM sees the line two cycles late (synchroniser). The start bit is detected
// at the first cycle the synchronised line is low; the start bit is sampled HALF = (DIV-1)/2
// cycles later, i.e. between DIV/2-1 and DIV/2 cycles after the real edge, and every
// further bit DIV cycles after the previous sample. A start bit that is high again at its
// middle is a glitch and ignored; a low stop bit is a framing error: the byte is dropped
// and the receiver waits for the line to go idle (high) before hunting again.
// `data` is the receive shift register itself: it holds the byte from `valid` until the
// next byte's first data bit is sampled, at least 2 bit times later.
`default_nettype none
module hb_uart_rx #(
    parameter integer CLK_HZ = 24_000_000,
    parameter integer BAUD   = 3_000_000,
    parameter integer DYN_DIV = 0          // 1: cycles per bit from div_in (virtual board)
) (
    input  wire       clk,
    input  wire       rst,
    input  wire [15:0] div_in,     // cycles per bit when DYN_DIV (>= 4); else unused
    input  wire       rx,          // pin, idle high
    output wire [7:0] data,        // the shift register: holds >= 2 bit times after valid
    output reg        valid,       // 1-cycle pulse with data
    output reg        frame_err,   // 1-cycle pulse: stop bit was low
    output wire       edge_seen    // synchronised line changed this cycle (activity)
);
    localparam integer DIV  = (CLK_HZ + BAUD / 2) / BAUD;
    localparam integer HALF = (DIV - 1) / 2;
    localparam integer CW   = DYN_DIV ? 16 : $clog2(DIV + 1);
    // DIV - 1 and HALF, from the parameters or (virtual board) from div_in
    wire [CW-1:0] div_m1 = DYN_DIV ? div_in[CW-1:0] - 1'b1 : DIV[CW-1:0] - 1'b1;
    wire [CW-1:0] half   = DYN_DIV ? div_m1 >> 1 : HALF[CW-1:0];

    // synthesis: initial values only on the synchroniser so the line reads idle at power-up
    reg s1 = 1'b1, s2 = 1'b1, s3 = 1'b1;
    always @(posedge clk) begin
        s1 <= rx;
        s2 <= s1;
        s3 <= s2;
    end
    assign edge_seen = s2 ^ s3;

    localparam [1:0] IDLE = 2'd0, BITS = 2'd1, WAITHI = 2'd2;
    reg [1:0]    state;
    reg [CW-1:0] cnt;
    reg [3:0]    nbit;      // 0 start, 1..8 data, 9 stop
    reg [7:0]    sh;
    assign data = sh;              // next shifted by the next byte's first data bit

    always @(posedge clk) begin
        valid     <= 1'b0;
        frame_err <= 1'b0;
        if (rst) begin
            state <= IDLE;
            cnt   <= {CW{1'b0}};
            nbit  <= 4'd0;
            sh    <= 8'd0;
        end else begin
            case (state)
            IDLE: if (!s2) begin
                state <= BITS;
                cnt   <= half;
                nbit  <= 4'd0;
            end
            BITS: if (cnt != 0) begin
                cnt <= cnt - 1'b1;
            end else begin
                cnt <= div_m1;
                if (nbit == 4'd0) begin
                    if (s2) state <= IDLE;          // glitch, not a start bit
                    nbit <= 4'd1;
                end else if (nbit != 4'd9) begin
                    sh   <= {s2, sh[7:1]};
                    nbit <= nbit + 1'b1;
                end else begin
                    if (s2) begin
                        valid <= 1'b1;
                        state <= IDLE;
                    end else begin
                        frame_err <= 1'b1;
                        state     <= WAITHI;
                    end
                end
            end
            default: if (s2) state <= IDLE;         // WAITHI
            endcase
        end
    end
endmodule
`default_nettype wire
