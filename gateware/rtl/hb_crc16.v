// hb_crc16 -- one byte step of CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no
// reflection, no final XOR), combinational. Check value of "123456789" is 0x29B1.
`default_nettype none
module hb_crc16 (
    input  wire [15:0] crc_in,
    input  wire [7:0]  data,
    output wire [15:0] crc_out
);
    function [15:0] step16(input [15:0] c, input [7:0] d);
        integer k;
        reg [15:0] r;
        begin
            r = c ^ {d, 8'h00};
            for (k = 0; k < 8; k = k + 1)
                r = r[15] ? ((r << 1) ^ 16'h1021) : (r << 1);
            step16 = r;
        end
    endfunction
    assign crc_out = step16(crc_in, data);
endmodule
`default_nettype wire
