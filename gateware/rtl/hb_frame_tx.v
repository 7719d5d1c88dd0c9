// hb_frame_tx -- link frame transmitter (docs/protocol.md §2).
//
// `start` (with type, seq, len) sends one frame: SOF, header, hcrc, payload, CRC-16 (low
// byte first). Payload bytes are pulled from the dispatcher one at a time: `pl_req` pulses
// with `pl_idx`; the dispatcher answers with `pl_ack` + `pl_data` any number of cycles
// later. The next byte is fetched while the current one is on the wire, so bytes go out
// back to back whenever the fetch takes less than one byte time (10 bit times).
// `busy` is high from `start` until the last byte has been handed to the UART.
`default_nettype none
module hb_frame_tx (
    input  wire        clk,
    input  wire        rst,
    input  wire        start,
    input  wire [7:0]  ftype,
    input  wire [7:0]  seq,
    input  wire [15:0] len,
    output reg         busy,
    output reg         pl_req,
    output reg  [15:0] pl_idx,
    input  wire        pl_ack,
    input  wire [7:0]  pl_data,
    output reg  [7:0]  tx_data,
    output reg         tx_valid,
    input  wire        tx_ready
);
    localparam [2:0] IDLE = 3'd0, HDR = 3'd1, PREQ = 3'd2, PWAIT = 3'd3,
                     PHAVE = 3'd4, CLO = 3'd5, CHI = 3'd6, FLUSH = 3'd7;
    reg [7:0]  nxt;            // fetched payload byte waiting for the output slot
    reg [2:0]  state;
    reg [2:0]  hidx;
    reg [7:0]  ob;
    reg        ob_v;
    reg [7:0]  h_type, h_seq;
    reg [15:0] h_len;
    reg [7:0]  crc8;
    reg [15:0] crc16;

    // the byte produced this cycle (header or payload), and the CRCs updated with it
    reg [7:0] nb;
    always @(*) begin
        case (hidx)
        3'd0:    nb = 8'hA5;
        3'd1:    nb = h_type;
        3'd2:    nb = h_seq;
        3'd3:    nb = h_len[7:0];
        3'd4:    nb = h_len[15:8];
        default: nb = crc8;
        endcase
        if (state == PHAVE) nb = nxt;
    end
    wire [7:0]  crc8_n;
    wire [15:0] crc16_n;
    hb_crc8  u_c8  (.crc_in(crc8),  .data(nb), .crc_out(crc8_n));
    hb_crc16 u_c16 (.crc_in(crc16), .data(nb), .crc_out(crc16_n));

    always @(posedge clk) begin
        tx_valid <= 1'b0;
        pl_req   <= 1'b0;
        if (rst) begin
            state <= IDLE; hidx <= 3'd0; ob <= 8'd0; ob_v <= 1'b0; busy <= 1'b0;
            h_type <= 8'd0; h_seq <= 8'd0; h_len <= 16'd0; crc8 <= 8'd0; crc16 <= 16'hFFFF;
            pl_idx <= 16'd0; tx_data <= 8'd0; nxt <= 8'd0;
        end else begin
            if (ob_v && tx_ready && !tx_valid) begin
                tx_valid <= 1'b1;
                tx_data  <= ob;
                ob_v     <= 1'b0;
            end
            case (state)
            IDLE: if (start) begin
                state <= HDR; busy <= 1'b1; hidx <= 3'd0;
                h_type <= ftype; h_seq <= seq; h_len <= len;
                crc8 <= 8'd0; crc16 <= 16'hFFFF; pl_idx <= 16'd0;
            end
            HDR: if (!ob_v) begin
                ob <= nb; ob_v <= 1'b1;
                hidx <= hidx + 1'b1;
                if (hidx >= 3'd1 && hidx <= 3'd4) begin
                    crc8  <= crc8_n;
                    crc16 <= crc16_n;
                end
                if (hidx == 3'd5) state <= (h_len == 16'd0) ? CLO : PREQ;
            end
            PREQ: begin
                pl_req <= 1'b1;
                state  <= PWAIT;
            end
            PWAIT: if (pl_ack) begin
                nxt   <= pl_data;
                state <= PHAVE;
            end
            PHAVE: if (!ob_v) begin
                state <= (pl_idx == h_len - 1'b1) ? CLO : PREQ;
                ob    <= nb;
                ob_v  <= 1'b1;
                crc16 <= crc16_n;
                pl_idx <= pl_idx + 1'b1;
            end
            CLO: if (!ob_v) begin
                ob <= crc16[7:0]; ob_v <= 1'b1; state <= CHI;
            end
            CHI: if (!ob_v) begin
                ob <= crc16[15:8]; ob_v <= 1'b1; state <= FLUSH;
            end
            default: if (!ob_v && !tx_valid && tx_ready) begin   // FLUSH
                state <= IDLE; busy <= 1'b0;
            end
            endcase
        end
    end
endmodule
`default_nettype wire
