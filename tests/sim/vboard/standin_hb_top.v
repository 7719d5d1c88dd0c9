// Test stand-in for hb_top (same ports and parameters, see gateware/rtl/INTERFACES.md).
// A UART echo: every byte received is sent back, except 'B' (0x42), which runs a fake
// "inference": BUSY_CYCLES cycles of busy with activity on the act_* outputs, a done pulse,
// then 'D' is sent. Used by the virtual board's own tests (pin UART, truth, faults).
`default_nettype none
module hb_top #(
    parameter integer CLK_HZ     = 24_000_000,
    parameter integer BAUD       = 3_000_000,
    parameter integer LANES      = 32,
    parameter integer FAMILY     = 1,
    parameter [31:0]  BUILD_HASH = 32'h0,
    parameter integer WMEM_BYTES = 131072 - 25088,
    parameter integer IMEM_BYTES = 25088,
    parameter integer MAX_L      = 512,
    parameter integer BUSY_CYCLES = 1000
) (
    input  wire clk,
    input  wire rst,
    input  wire uart_rx,
    output wire uart_tx,
    output wire done,
    output wire busy,
    output wire [3:0] led,
    output wire [15:0] act_syn,
    output wire [15:0] act_ops,
    output wire        act_wmem,
    output wire        act_imem,
    output wire        act_lif,
    output wire        act_uart
`ifdef HB_VBOARD_PORTS
    , input wire [15:0] uart_div
`endif
);
`ifdef HB_VBOARD_PORTS
    wire [15:0] DIV = uart_div;
`else
    localparam integer DIV_I = CLK_HZ / BAUD;
    localparam [15:0] DIV = DIV_I[15:0];
`endif

    // ---- receiver
    reg [1:0]  rx_sync;
    reg        rx_busy;
    reg [15:0] rx_cnt;
    reg [3:0]  rx_bit;
    reg [7:0]  rx_shift;
    reg        rx_valid;
    reg [7:0]  rx_data;
    always @(posedge clk) begin
        rx_sync <= {rx_sync[0], uart_rx};
        rx_valid <= 1'b0;
        if (rst) begin
            rx_sync <= 2'b11; rx_busy <= 1'b0; rx_cnt <= 0; rx_bit <= 0;
        end else if (!rx_busy) begin
            if (!rx_sync[1]) begin
                rx_busy <= 1'b1; rx_cnt <= DIV / 2; rx_bit <= 0;
            end
        end else if (rx_cnt != 0) begin
            rx_cnt <= rx_cnt - 1;
        end else begin
            rx_cnt <= DIV - 1;
            rx_bit <= rx_bit + 1;
            if (rx_bit == 0) begin
                if (rx_sync[1]) rx_busy <= 1'b0;          // false start
            end else if (rx_bit <= 8) begin
                rx_shift <= {rx_sync[1], rx_shift[7:1]};
            end else begin
                rx_busy <= 1'b0;
                if (rx_sync[1]) begin rx_valid <= 1'b1; rx_data <= rx_shift; end
            end
        end
    end

    // ---- fake engine
    reg [15:0] busy_cnt;
    reg        busy_r, done_r, send_d;
    reg [15:0] lfsr;
    always @(posedge clk) begin
        done_r <= 1'b0;
        send_d <= 1'b0;
        if (rst) begin
            busy_r <= 1'b0; busy_cnt <= 0; lfsr <= 16'hACE1;
        end else if (busy_r) begin
            lfsr <= {lfsr[14:0], lfsr[15] ^ lfsr[13] ^ lfsr[12] ^ lfsr[10]};
            if (busy_cnt == 1) begin busy_r <= 1'b0; done_r <= 1'b1; send_d <= 1'b1; end
            busy_cnt <= busy_cnt - 1;
        end else if (rx_valid && rx_data == 8'h42) begin
            busy_r <= 1'b1; busy_cnt <= BUSY_CYCLES[15:0];
        end
    end
    assign busy = busy_r;
    assign done = done_r;
    assign act_ops = busy_r ? LANES[15:0] : 16'd0;
    assign act_syn = busy_r ? {12'd0, lfsr[3:0]} : 16'd0;
    assign act_wmem = busy_r & (busy_cnt[1:0] == 2'b00);
    assign act_lif = busy_r & (busy_cnt[4:0] == 5'd0);
    assign act_imem = rx_valid;

    // ---- 16-byte FIFO and transmitter
    reg [7:0] fifo [0:15];
    reg [4:0] wr, rd;
    wire      push = (rx_valid && rx_data != 8'h42) || send_d;
    wire [7:0] push_data = send_d ? 8'h44 : rx_data;
    reg        tx_busy;
    reg [15:0] tx_cnt;
    reg [3:0]  tx_bit;
    reg [9:0]  tx_shift;
    reg        tx_r;
    always @(posedge clk) begin
        if (rst) begin
            wr <= 0; rd <= 0; tx_busy <= 1'b0; tx_r <= 1'b1;
        end else begin
            if (push && (wr - rd) != 5'd16) begin fifo[wr[3:0]] <= push_data; wr <= wr + 1; end
            if (!tx_busy) begin
                if (wr != rd) begin
                    tx_shift <= {1'b1, fifo[rd[3:0]], 1'b0};
                    rd <= rd + 1; tx_busy <= 1'b1; tx_cnt <= 0; tx_bit <= 0;
                end
            end else if (tx_cnt != 0) begin
                tx_cnt <= tx_cnt - 1;
            end else begin
                tx_r <= tx_shift[0];
                tx_shift <= {1'b1, tx_shift[9:1]};
                tx_cnt <= DIV - 1;
                tx_bit <= tx_bit + 1;
                if (tx_bit == 10) begin tx_busy <= 1'b0; tx_r <= 1'b1; end
            end
        end
    end
    assign uart_tx = tx_r;
    reg tx_prev, rx_prev;
    always @(posedge clk) begin tx_prev <= tx_r; rx_prev <= rx_sync[1]; end
    assign act_uart = (tx_prev != tx_r) || (rx_prev != rx_sync[1]);
    assign led = {busy_r, 3'b000};

    wire _unused = &{1'b0, FAMILY[0], BUILD_HASH[0], WMEM_BYTES[0], IMEM_BYTES[0], MAX_L[0]};
endmodule
`default_nettype wire
