// hb_frame_tx -- link frame transmitter (docs/protocol.md §2).
//
// `start` sends one frame: SOF, header, hcrc, payload, CRC-16 (low byte first). type, seq
// and len are read while the frame goes out: the dispatcher holds them from `start` until
// `busy` falls. Payload bytes are pulled from the dispatcher one at a time: `pl_req` pulses
// with `pl_idx`; the dispatcher answers with `pl_ack` + `pl_data` any number of cycles
// later and holds pl_data until the next pl_req. The next byte is fetched while the current
// one is on the wire, so bytes go out back to back whenever the fetch takes less than one
// byte time (10 bit times). Each byte is handed to hb_uart_tx (tx_valid, tx_data) in a cycle
// it is ready, straight from the header fields, the fetched byte or the CRCs: no buffer.
// `busy` is high from `start` until the UART has sent the last byte.
`default_nettype none
module hb_frame_tx (
    input  wire        clk,
    input  wire        rst,
    input  wire        start,
    input  wire [7:0]  ftype,
    input  wire [7:0]  seq,
    input  wire [10:0] len,
    output reg         busy,
    output reg         pl_req,
    output reg  [10:0] pl_idx,
    input  wire        pl_ack,
    input  wire [7:0]  pl_data,
    output reg  [7:0]  tx_data,
    output wire        tx_valid,
    input  wire        tx_ready
);
    localparam [2:0] IDLE = 3'd0, HDR = 3'd1, PREQ = 3'd2, PWAIT = 3'd3,
                     PHAVE = 3'd4, CLO = 3'd5, CHI = 3'd6, FLUSH = 3'd7;
    reg [2:0]  state;
    reg [2:0]  hidx;
    reg [7:0]  crc8;
    reg [15:0] crc16;

    // the byte handed over this cycle (header, payload or CRC), and the CRCs updated with it
    always @(*) begin
        case (state)
        HDR: case (hidx)
             3'd0:    tx_data = 8'hA5;
             3'd1:    tx_data = ftype;
             3'd2:    tx_data = seq;
             3'd3:    tx_data = len[7:0];
             3'd4:    tx_data = {5'd0, len[10:8]};
             default: tx_data = crc8;
             endcase
        CLO:     tx_data = crc16[7:0];
        CHI:     tx_data = crc16[15:8];
        default: tx_data = pl_data;     // held by the dispatcher until the next pl_req
        endcase
    end
    assign tx_valid = tx_ready && (state == HDR || state == PHAVE || state == CLO || state == CHI);
    wire [7:0]  crc8_n;
    wire [15:0] crc16_n;
    hb_crc8  u_c8  (.crc_in(crc8),  .data(tx_data), .crc_out(crc8_n));
    hb_crc16 u_c16 (.crc_in(crc16), .data(tx_data), .crc_out(crc16_n));
    wire [10:0] idx_n = pl_idx + 1'b1;

    always @(posedge clk) begin
        pl_req <= 1'b0;
        if (rst) begin
            state <= IDLE; hidx <= 3'd0; busy <= 1'b0; crc8 <= 8'd0; crc16 <= 16'hFFFF;
            pl_idx <= 11'd0;
        end else begin
            case (state)
            IDLE: if (start) begin
                state <= HDR; busy <= 1'b1; hidx <= 3'd0;
                crc8 <= 8'd0; crc16 <= 16'hFFFF; pl_idx <= 11'd0;
            end
            HDR: if (tx_ready) begin
                hidx <= hidx + 1'b1;
                if (hidx != 3'd0 && hidx != 3'd5) begin
                    crc8  <= crc8_n;
                    crc16 <= crc16_n;
                end
                if (hidx == 3'd5) state <= (len == 11'd0) ? CLO : PREQ;
            end
            PREQ: begin
                pl_req <= 1'b1;
                state  <= PWAIT;
            end
            PWAIT: if (pl_ack) state <= PHAVE;
            PHAVE: if (tx_ready) begin
                state  <= (idx_n == len) ? CLO : PREQ;
                crc16  <= crc16_n;
                pl_idx <= idx_n;
            end
            CLO: if (tx_ready) state <= CHI;
            CHI: if (tx_ready) state <= FLUSH;
            default: if (tx_ready) begin                // FLUSH: the last byte is out
                state <= IDLE; busy <= 1'b0;
            end
            endcase
        end
    end
endmodule
`default_nettype wire
